/* Shared by the libFuzzer harnesses: a property that must hold, checked in every
 * build (assert() would vanish under NDEBUG). A failure aborts, which libFuzzer
 * reports as a crash and saves the input. */
#ifndef SHIM_FUZZ_H
#define SHIM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define require(cond)                                                                          \
	do {                                                                                       \
		if (!(cond)) {                                                                         \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond);        \
			abort();                                                                           \
		}                                                                                      \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
