#!/usr/bin/env bash
# Fetches the tools the deployment checks need into a cache directory, without
# installing anything system-wide beyond scripts/packages/deploy.txt:
#
#   * from Debian's newer suite (trixie), through a private apt configuration with
#     its own sources list, state and cache directories: `apt-get download` +
#     `dpkg-deb -x` into the cache, never `apt-get install`:
#       terraform-config-inspect   HashiCorp's HCL loader (real parser)
#       docker-compose             compose v2 (`docker-compose config -q`)
#       cloud-init                 `cloud-init schema` for the sandbox user-data
#   * from the npm registry, into the cache:
#       @cdktf/hcl2json            HCL -> JSON (input of the reference checker)
#       @cdktf/hcl-tools           hclwrite's formatter (fmt fallback, no terraform)
#       dockerfile-utils           Dockerfile parser/validator (VS Code's)
#       @cdktf/provider-aws        generated bindings of the AWS provider: its
#                                  schema (every argument and block) is
#                                  extracted into aws-schema.json by
#                                  scripts/lint/aws-schema.mjs, then the
#                                  package (~400 MB unpacked) is deleted
#
#   scripts/lint/tools.sh CACHE_DIR      prints nothing on success when warm
#
# Re-running is cheap: each tool is fetched once and recorded with a stamp file.
# Set SYM_LINT_SUITE to use another suite than trixie (e.g. sid).
set -euo pipefail

cache=${1:?usage: tools.sh CACHE_DIR}
suite=${SYM_LINT_SUITE:-trixie}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

say() { printf 'tools: %s\n' "$*" >&2; }

# --- private apt configuration -------------------------------------------------
apt_dir=$cache/apt
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/sources.list"
	-o "Dir::Etc::SourceParts=/dev/null"
	-o "Dir::Etc::Preferences=/dev/null"
	-o "Dir::Etc::PreferencesParts=/dev/null"
	-o "Dir::State=$apt_dir/state"
	-o "Dir::State::status=$apt_dir/state/status"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Debug::NoLocking=1"
	-o "APT::Get::List-Cleanup=0"
	-o "Acquire::Languages=none"
	-o "APT::Sandbox::User=root"
)

apt_ready=no
apt_prepare() {
	[ "$apt_ready" = yes ] && return 0
	mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
	[ -f "$apt_dir/state/status" ] || : >"$apt_dir/state/status"
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || { say "missing $keyring (package debian-archive-keyring)"; return 1; }
	printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' "$keyring" "$suite" \
		>"$apt_dir/sources.list"
	# Refresh the index at most once a day.
	if [ -z "$(find "$apt_dir/state/lists" -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		say "updating the private $suite package index in $apt_dir"
		apt-get "${apt_opts[@]}" -qq update >&2 ||
			{ say "apt-get update for $suite failed (is Debian's mirror reachable?)"; return 1; }
	fi
	apt_ready=yes
}

# deb_fetch PACKAGE: download PACKAGE from the private suite and unpack it into
# $cache/root (idempotent, stamped).
deb_fetch() {
	local pkg=$1 stamp=$cache/stamps/deb-$1
	[ -f "$stamp" ] && return 0
	apt_prepare
	mkdir -p "$cache/debs" "$cache/root" "$cache/stamps"
	say "downloading $pkg from Debian $suite"
	(cd "$cache/debs" && apt-get "${apt_opts[@]}" -qq download "$pkg" >&2) ||
		{ say "could not download $pkg from $suite"; return 1; }
	local deb
	deb=$(find "$cache/debs" -maxdepth 1 -name "${pkg}_*.deb" | sort | tail -n 1)
	[ -n "$deb" ] || { say "no .deb for $pkg"; return 1; }
	dpkg-deb -x "$deb" "$cache/root"
	basename "$deb" >"$stamp"
}

# --- npm packages -----------------------------------------------------------------
npm_pkgs=(@cdktf/hcl2json@0.21.0 @cdktf/hcl-tools@0.21.0 dockerfile-utils@0.16.3)
npm_fetch() {
	local stamp=$cache/stamps/npm-${npm_pkgs[*]//[\/@ ]/_}
	[ -f "$stamp" ] && return 0
	command -v npm >/dev/null || { say "npm is not installed (needs node + npm)"; return 1; }
	mkdir -p "$cache/npm" "$cache/stamps"
	[ -f "$cache/npm/package.json" ] || printf '{"name":"sym-access-deploy-lint","private":true}\n' >"$cache/npm/package.json"
	say "installing ${npm_pkgs[*]} from the npm registry into $cache/npm"
	(cd "$cache/npm" && npm install --no-audit --no-fund --loglevel=error --save-exact "${npm_pkgs[@]}" >&2) ||
		{ say "npm install failed"; return 1; }
	: >"$stamp"
}

# The AWS provider version here must be the one terraform/versions.tf pins
# (the lint's providers-pinned rule compares them): @cdktf/provider-aws 21.22.1
# is generated from hashicorp/aws 6.25.0.
aws_bindings=@cdktf/provider-aws@21.22.1
aws_schema() {
	local stamp=$cache/stamps/schema-${aws_bindings//[\/@]/_} tmp
	[ -f "$stamp" ] && [ -f "$cache/aws-schema.json" ] && return 0
	command -v npm >/dev/null || { say "npm is not installed (needs node + npm)"; return 1; }
	tmp=$(mktemp -d "$cache/aws-provider.XXXXXX")
	say "extracting the AWS provider schema from $aws_bindings"
	if (cd "$tmp" && npm pack --silent "$aws_bindings" >/dev/null) &&
		tar -xzf "$tmp"/*.tgz -C "$tmp" --wildcards 'package/package.json' 'package/lib/*.js' &&
		node "$(dirname "$0")/aws-schema.mjs" "$tmp/package/lib" "$cache/aws-schema.json" >&2; then
		rm -rf "$tmp"
		mkdir -p "$cache/stamps"
		: >"$stamp"
	else
		rm -rf "$tmp"
		say "could not extract the AWS provider schema"
		return 1
	fi
}

rc=0
deb_fetch terraform-config-inspect || rc=1
deb_fetch docker-compose || rc=1
deb_fetch cloud-init || rc=1
npm_fetch || rc=1
aws_schema || rc=1
exit "$rc"
