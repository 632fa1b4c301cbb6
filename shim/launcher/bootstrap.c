/* bootstrap: the Lambda entry point of dist/sym-access-lambda.zip.
 *
 * Lambda's provided.al2023 image has glibc 2.34; the shim is built on Debian 12
 * (glibc 2.36) and links libpq, libcurl, cJSON and their dependencies. The zip
 * therefore carries every shared library the shim needs, the C library and the
 * dynamic loader included, and this small *static* program (it needs no library
 * at all) starts the shim through the bundled loader:
 *
 *   <dir>/lib/ld-linux-x86-64.so.2 --inhibit-cache --library-path <dir>/lib
 *                                  --argv0 <argv0> <dir>/bin/sym-access-shim ARGS...
 *
 * --library-path replaces LD_LIBRARY_PATH (which Lambda sets to its own system
 * directories) and --inhibit-cache skips the host's ld.so.cache, so nothing of
 * the host's libraries is mixed in. <dir> is the directory holding this file:
 * from /proc/self/exe, else argv[0], else $LAMBDA_TASK_ROOT. It works wherever the
 * zip is unpacked, with no shell and no /proc needed. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
fail(const char *what)
{
	fprintf(stderr, "bootstrap: %s\n", what);
	exit(127);
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX], ld[PATH_MAX + 64], lib[PATH_MAX + 64], prog[PATH_MAX + 64];
	const char *root = getenv("LAMBDA_TASK_ROOT");
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	char **args;
	char *slash;
	int k = 0;

	if (n > 0)
		self[n] = '\0';
	else if (argc > 0 && strchr(argv[0], '/') != NULL && strlen(argv[0]) < sizeof self)
		strcpy(self, argv[0]);
	else if (root != NULL && strlen(root) < sizeof self - 16)
		snprintf(self, sizeof self, "%s/bootstrap", root);
	else
		fail("cannot tell where I am: no /proc/self/exe, no path in argv[0], no LAMBDA_TASK_ROOT");
	slash = strrchr(self, '/');
	if (slash == self)
		slash[1] = '\0'; /* "/bootstrap" -> "/" */
	else
		*slash = '\0';

	snprintf(ld, sizeof ld, "%s/lib/ld-linux-x86-64.so.2", self);
	snprintf(lib, sizeof lib, "%s/lib", self);
	snprintf(prog, sizeof prog, "%s/bin/sym-access-shim", self);

	args = calloc((size_t) argc + 8, sizeof *args);
	if (args == NULL)
		fail("out of memory");
	args[k++] = ld;
	args[k++] = "--inhibit-cache";
	args[k++] = "--library-path";
	args[k++] = lib;
	args[k++] = "--argv0";
	args[k++] = argc > 0 ? argv[0] : "bootstrap";
	args[k++] = prog;
	for (int i = 1; i < argc; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	execv(ld, args);
	perror("bootstrap: cannot execute the bundled loader");
	return 127;
}
