# sym_access: PostgreSQL extension (PGXS) plus the Lambda shim.
#
#   make                 build the extension
#   make install         install it into the server that PG_CONFIG names
#   make test            everything: deps, build, install, throwaway cluster,
#                        pg_regress, isolation, worker, shim and deployment lint
#   make demo            the escalate/deescalate flow end to end, then clean up
#   make matrix          the extension suites against PostgreSQL 15, 17 and 18
#   make pgtle           dist/sym_access.pgtle.sql, the pg_tle edition (RDS, Aurora)
#   make check-generated fail if extension/sym_access--1.1.0.sql is not what
#                        scripts/gen-sql.sh c makes of extension/sql/
#   make bench           bench/run.sh: every performance ratio against its floor,
#                        installing into PG_CONFIG's tree (README "Performance")
#   make fuzz            the shim's libFuzzer harnesses, FUZZ_SECONDS each (default 60)
#   make lambda-zip      dist/sym-access-lambda.zip (reproducible: same commit, same bytes)
#   make deb             dist/postgresql-<major>-sym-access_<version>-1_<arch>.deb per
#                        PostgreSQL major here, and dist/sym-access-shim_<...>.deb
#   make dist            dist/sym_access-<version>.zip for PGXN (git archive of HEAD)
#   Each of the last three rewrites dist/SHA256SUMS (every artifact in dist/).

EXTENSION_NAME = sym_access
MODULE_big = sym_access
OBJS = $(patsubst %.c,%.o,$(wildcard extension/src/*.c))
MODULEDIR = extension
DATA = extension/sym_access.control $(wildcard extension/sym_access--*.sql)
PGFILEDESC = "sym_access - just-in-time role access with an audit trail"
EXTRA_CLEAN = extension/.pg-build

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=plpgsql
ISOLATION = $(patsubst test/isolation/specs/%.spec,%,$(sort $(wildcard test/isolation/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test/isolation

PG_CPPFLAGS = -Iextension/src
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers
ifdef WERROR
PG_CFLAGS += -Werror
endif

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

.PHONY: bench test demo matrix lint lambda-zip shim clean-all deb dist fuzz pgtle check-generated

# The C edition's install script is generated from the SQL both editions
# share (extension/sql/) and kept committed; `make` refreshes it.
GENERATED_SQL = extension/sym_access--1.1.0.sql
all: $(GENERATED_SQL)
$(GENERATED_SQL): extension/sql/sym_access.sql.in extension/sql/c.sections scripts/gen-sql.sh
	scripts/gen-sql.sh c > $@.tmp && mv $@.tmp $@

# Objects compiled against another server's headers (another PG_CONFIG: make
# matrix, make bench on a private tree) must not be linked for this one: they
# load with undefined symbols.  The stamp changes with the server, and every
# object depends on it.
PG_BUILD_ID := $(shell $(PG_CONFIG) --version) $(shell $(PG_CONFIG) --includedir-server)
extension/.pg-build: FORCE
	@echo '$(PG_BUILD_ID)' | cmp -s - $@ || echo '$(PG_BUILD_ID)' > $@
$(OBJS) $(OBJS:.o=.bc): extension/.pg-build
.PHONY: FORCE
FORCE:

check-generated:
	@scripts/gen-sql.sh c | cmp -s - $(GENERATED_SQL) || \
		{ echo "$(GENERATED_SQL) is stale: run make and commit it" >&2; exit 1; }

pgtle:
	mkdir -p dist
	scripts/pgtle-dist.sh -o dist/sym_access.pgtle.sql

# PGXS's clean covers the extension; this also cleans the shim and dist/.
clean-all: clean
	$(MAKE) -C shim clean
	$(MAKE) -C shim/fuzz clean
	rm -rf dist

test:
	scripts/test.sh

demo:
	scripts/demo.sh

bench:
	PG_CONFIG=$(PG_CONFIG) bench/run.sh

matrix:
	scripts/matrix.sh

lint:
	scripts/lint-deploy.sh

FUZZ_SECONDS ?= 60
fuzz:
	scripts/deps.sh shim fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) shim/fuzz/run.sh

shim:
	$(MAKE) -C shim

lambda-zip:
	$(MAKE) -C shim lambda-zip
	scripts/package-sums.sh dist

deb:
	scripts/package-deb.sh dist
	scripts/package-sums.sh dist

dist:
	scripts/package-dist.sh dist
	scripts/package-sums.sh dist

# The two halves of PGXS's installcheck, so that make test can report each.
installcheck-regress:
	$(pg_regress_installcheck) $(REGRESS_OPTS) $(REGRESS)

installcheck-isolation:
	$(pg_isolation_regress_installcheck) $(ISOLATION_OPTS) $(ISOLATION)
