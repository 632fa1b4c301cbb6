#!/usr/bin/env bash
# Offline checks of the deployment pieces (terraform/, docker/, the scripts):
# no AWS account, no Docker engine, no Terraform providers needed.
#
#   scripts/lint-deploy.sh            run every check, print "N passed, M failed"
#
# Tools come from Debian (scripts/packages/deploy.txt, installed by
# scripts/deps.sh), from Debian's newer suite through a private apt
# configuration, and from npm; the last two are cached under .cache/deploy-lint
# at the repository root (override with SYM_LINT_CACHE). See scripts/lint/tools.sh.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${SYM_LINT_CACHE:-$root/.cache/deploy-lint}
lint=$here/lint
cd "$root" || exit 2

export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 NO_COLOR=1
py=/usr/bin/python3
[ -x "$py" ] || py=python3

passed=0
failed=0
failures=()
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# check NAME COMMAND...: run COMMAND, report, keep its output on failure.
check() {
	local name=$1
	shift
	local t0=$SECONDS
	if "$@" >"$out/log" 2>&1; then
		passed=$((passed + 1))
		printf 'ok    %-34s (%ss) %s\n' "$name" $((SECONDS - t0)) "$(tail -n 1 "$out/log")"
	else
		failed=$((failed + 1))
		failures+=("$name")
		printf 'FAIL  %-34s (%ss)\n' "$name" $((SECONDS - t0))
		sed 's/^/      /' "$out/log" | tail -n 40
	fi
}

need() {
	local missing=()
	for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "missing command(s): ${missing[*]} - run scripts/deps.sh (scripts/packages/deploy.txt)"
	return 1
}

tools() {
	need node npm apt-get dpkg-deb shellcheck || return 1
	bash "$lint/tools.sh" "$cache" && echo "cached in ${cache#"$root"/}"
}

# terraform fmt -check -recursive; without terraform, the same formatter
# (hclwrite) from @cdktf/hcl-tools compares each file with its formatted form.
tf_fmt() {
	if command -v terraform >/dev/null; then
		terraform fmt -no-color -check -recursive -diff terraform || return 1
		echo "terraform fmt: clean"
	else
		node "$lint/hcl-fmt.mjs" "$cache/npm" terraform
	fi
}

# A real HCL parse: HashiCorp's terraform-config-inspect per module directory
# (the loader Terraform uses for early config) and @cdktf/hcl2json per file.
tf_parse() {
	local inspect=$cache/root/usr/bin/terraform-config-inspect rc=0 dir n=0
	[ -x "$inspect" ] || { echo "terraform-config-inspect missing in $cache"; return 1; }
	while IFS= read -r dir; do
		n=$((n + 1))
		if ! "$inspect" --json "$dir" >"$out/inspect.json"; then
			echo "terraform-config-inspect: $dir"
			grep -A3 '"severity"' "$out/inspect.json" | sed 's/^/  /'
			rc=1
		fi
	done < <(find terraform -name '*.tf' -not -path '*/.terraform/*' -printf '%h\n' | sort -u)
	node "$lint/tf-check.mjs" "$cache/npm" parse terraform || rc=1
	[ $rc -eq 0 ] && echo "$n module directories parsed by terraform-config-inspect and hcl2json"
	return $rc
}

tf_refs() { node "$lint/tf-check.mjs" "$cache/npm" refs terraform; }

# Security rules of issue 15 (scripts/lint/tf-policy.mjs): all of them, and
# their self-tests on mutated copies of the tree, run once into $out/policy;
# each rule and each self-test is then reported as a check of its own.
policy() { node "$lint/tf-policy.mjs" "$cache/npm" "$cache/aws-schema.json" terraform "$@"; }
policy_result() {
	local f=$out/policy/$1
	[ -f "$f" ] || { echo "no result: scripts/lint/tf-policy.mjs did not run (see above)"; return 1; }
	sed '$d' "$f"
	[ "$(tail -n 1 "$f")" = "exit 0" ]
}

sym_impl() { "$py" "$lint/sym-impl-test.py" terraform/impl.py; }

cloud_init() {
	local tpl rc=0 n=0 ci=$cache/root/usr/bin/cloud-init
	for tpl in terraform/sandbox/*.tftpl; do
		[ -e "$tpl" ] || continue
		n=$((n + 1))
		"$py" "$lint/render-user-data.py" "$tpl" "$out/user-data.yaml" || { rc=1; continue; }
		if [ -x "$ci" ]; then
			PYTHONPATH=$cache/root/usr/lib/python3/dist-packages \
				"$py" "$ci" schema --config-file "$out/user-data.yaml" || rc=1
		else
			echo "cloud-init not available: YAML and header checks only"
			rc=1
		fi
	done
	[ $n -gt 0 ] || { echo "no cloud-init template in terraform/sandbox"; return 1; }
	return $rc
}

# Every shell script of the project: deployment, build, tests, benchmarks, CI.
shell_scripts() {
	local f files=()
	while IFS= read -r f; do
		case $f in
		*.sh) files+=("$f") ;;
		*) head -n 1 "$f" | grep -Eq '^#!.*\b(ba|da|k)?sh\b' && files+=("$f") ;;
		esac
	done < <(find terraform docker scripts test bench shim/test shim/package.sh shim/fuzz/run.sh .ci -type f -not -path '*/.terraform/*' \
		-not -name '*.tf' -not -name '*.json' -not -name '*.md' -not -name '*.mjs' -not -name '*.py' \
		-not -name '*.txt' -not -name '*.tftpl' -not -name '*.dockerignore' | sort)
	[ ${#files[@]} -gt 0 ] || { echo "no shell scripts found"; return 1; }
	shellcheck -x "${files[@]}" || return 1
	echo "shellcheck clean: ${#files[@]} scripts"
}

compose() {
	local dc=$cache/root/usr/bin/docker-compose
	[ -x "$dc" ] || { echo "docker-compose missing in $cache"; return 1; }
	# Defaults only: no .env file, no variables from the caller's environment.
	env -u PG_MAJOR -u POSTGRES_PASSWORD -u SYM_BOT_PASSWORD -u PG_PORT \
		"$dc" --project-directory docker -f docker/compose.yaml --profile shim config -q || return 1
	local f
	for f in docker/Dockerfile docker/Dockerfile.lambda docker/run-events.sh docker/initdb; do
		[ -e "$f" ] || { echo "compose.yaml refers to $f, which is missing"; return 1; }
	done
	echo "$("$dc" version --short) accepts docker/compose.yaml"
}

# The Lambda image builds cJSON (it parses untrusted events) only from files
# whose SHA-256 it checks, with the CVE-2023-26819 fix applied: the RUN that
# clones it must check and patch before building.
cjson_verified() {
	local f=${1:-docker/Dockerfile.lambda} run
	if ! grep -Eq '^ARG CJSON_C_SHA256=[0-9a-f]{64}$' "$f" || ! grep -Eq '^ARG CJSON_H_SHA256=[0-9a-f]{64}$' "$f"; then
		echo "$f: no SHA-256 pins for cJSON.c and cJSON.h"
		return 1
	fi
	run=$(sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$f" | grep 'git clone.*cJSON') ||
		{ echo "$f: no RUN cloning cJSON"; return 1; }
	[[ $run == *'sha256sum --check --strict'*'patch -d /tmp/cjson'*'gcc '* ]] ||
		{ echo "$f: the cJSON RUN must check the SHA-256, then patch, then build"; return 1; }
	[ -s docker/cjson/cve-2023-26819.patch ] || { echo "docker/cjson/cve-2023-26819.patch is missing"; return 1; }
	echo "$f: cJSON built from SHA-256-checked, patched sources"
}

# The check above fails on copies of the Dockerfile with the check removed or
# the pins gone.
cjson_selftest() {
	local copy=$out/Dockerfile.lambda n=0
	sed '/sha256sum --check --strict/d' docker/Dockerfile.lambda >"$copy"
	cjson_verified "$copy" >/dev/null && { echo "a Dockerfile without the SHA-256 check passes"; return 1; }
	n=$((n + 1))
	sed 's/^ARG CJSON_C_SHA256=.*/ARG CJSON_C_SHA256=/' docker/Dockerfile.lambda >"$copy"
	cjson_verified "$copy" >/dev/null && { echo "a Dockerfile without the cJSON.c pin passes"; return 1; }
	n=$((n + 1))
	sed '/patch -d \/tmp\/cjson -p1/d' docker/Dockerfile.lambda >"$copy"
	cjson_verified "$copy" >/dev/null && { echo "a Dockerfile without the CVE patch passes"; return 1; }
	n=$((n + 1))
	echo "all $n broken copies fail"
}

dockerfiles() {
	node "$lint/dockerfile-check.mjs" "$cache/npm" docker/Dockerfile docker/Dockerfile.lambda
}

events() {
	"$py" - docker/events/*.json <<'PY'
import json, sys
for path in sys.argv[1:]:
    ev = json.load(open(path))
    if ev.get("type") == "sweep":
        continue
    kind = ev["event"]["type"]
    assert kind in ("escalate", "deescalate"), f"{path}: event.type {kind}"
    assert ev["fields"]["target"]["name"], f"{path}: no fields.target.name"
    assert "@" in ev["run"]["actors"]["request"]["username"], f"{path}: no requester e-mail"
print(f"{len(sys.argv) - 1} sandbox events are valid JSON in Sym's shape")
PY
}

t_start=$SECONDS
check "tools (Debian ${SYM_LINT_SUITE:-trixie}, npm)" tools
check "terraform fmt -check -recursive" tf_fmt
check "HCL parse (all .tf files)" tf_parse
check "terraform references & variables" tf_refs
if ! policy all "$out/policy" >"$out/policy.log" 2>&1; then
	grep -v '^[0-9]* rules checked' "$out/policy.log" | sed 's/^/      /' | tail -n 20
fi
while IFS=$'\t' read -r rule mutations _; do
	check "rule $rule" policy_result "$rule.check"
	check "rule $rule: $mutations broken copies fail" policy_result "$rule.selftest"
done < <(policy list 2>/dev/null || echo "tf-policy.mjs	0	cannot list the rules")
check "sym flow impl.py" sym_impl
check "cloud-init user-data" cloud_init
check "shellcheck" shell_scripts
check "docker compose config -q" compose
check "Dockerfile lint" dockerfiles
check "cJSON sources verified (Dockerfile.lambda)" cjson_verified
check "cJSON check: 3 broken copies fail" cjson_selftest
check "sandbox events" events

echo "lint-deploy: $((SECONDS - t_start))s"
[ $failed -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
