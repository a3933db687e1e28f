#include "stages.h"

#include <string.h>

/* Pipeline stages in pipeline order, then tool commands. */
const struct stage stages[] = {
	{ "resolve", STAGE_PIPELINE | STAGE_SPEC_ARG,
	  "turn a version spec into one Slurm tag and commit",
	  "SPEC [--repo URL] [--pre] [options]",
	  "Lists the tags of Slurm's git repository without cloning it and picks\n"
	  "one: SPEC is latest, MAJ.MIN (newest micro), MAJ.MIN.MICRO, a\n"
	  "pre-release such as 24.11.0-0rc1, or a tag name (slurm-24-11-5-1).\n"
	  "Prints tag, version, commit and repo. A spec that matches nothing\n"
	  "fails (exit 1) with the nearest versions; an unreachable repository\n"
	  "is an environment error (exit 2).",
	  resolve_opts, 1, 1, NULL, NULL,
	  resolve_parse, NULL, stage_resolve, resolve_print },
	{ "fetch", STAGE_PIPELINE | STAGE_SPEC_ARG,
	  "get the source of a resolved commit into the source cache",
	  "SPEC [--repo URL] [--pre] [--commit ID] [options]  |  --source TARBALL [options]",
	  "Resolves SPEC (or takes the tag and --commit an earlier resolve\n"
	  "printed) and writes that commit's tree to\n"
	  "<cache-dir>/sources/<commit>/src. A commit already cached is a hit that\n"
	  "opens no network connection. --source TARBALL caches a tarball by its\n"
	  "sha256 instead, unpacked with verify's secure extraction.",
	  fetch_opts, 0, 1, "resolve", NULL,
	  fetch_parse, NULL, stage_fetch, fetch_print },
	{ "images", STAGE_PIPELINE | STAGE_SETUP,
	  "make sure the LXD build and runtime images exist (build them when missing)",
	  "[--no-image-build] [options]",
	  "The build image when build runs on the lxd backend, the runtime image\n"
	  "when smoke does: looked up in LXD by their alias (a hash of their package\n"
	  "list), imported from its export in the cache when LXD lacks it, and\n"
	  "made with debootstrap from the Debian mirror otherwise (--no-image-build:\n"
	  "a missing image is an error). Builds are keyed on the packages the\n"
	  "build image holds (its packages_sha256).",
	  images_opts, 0, 0, NULL, NULL,
	  images_parse, images_release, stage_images, NULL },
	{ "build", STAGE_PIPELINE | STAGE_NEEDS_SETUP,
	  "build a relocatable Slurm in a fresh container, package and verify it",
	  "[--slurm-version SPEC] [--gpu] [--minimal] [--backend lxd|host] [options]",
	  "Resolves and fetches SPEC (default " SF_DEFAULT_SPEC "), makes the build\n"
	  "image when it is missing, builds it with\n"
	  "recipes/build-slurm.sh in an ephemeral LXD container from the build\n"
	  "image (or on this machine with --backend host), makes the installed\n"
	  "tree relocatable ($ORIGIN RPATHs, non-system libraries grafted into\n"
	  "lib/), packs <cache>/builds/<version>/slurm-<version>-software.tar.gz\n"
	  "and -module.tar.gz with SHA256SUMS and a manifest, and runs verify on\n"
	  "the software tarball at 3 random prefixes (the stages resolve, fetch,\n"
	  "images, build, package, verify; --no-verify stops after package). The\n"
	  "artifacts are cached by (commit, recipe, the build image's installed\n"
	  "packages, options): an unchanged build is a cache hit that starts no\n"
	  "container. ccache persists in <cache>/ccache (or --ccache-dir).",
	  build_opts, 0, 0, "resolve", "verify",
	  build_parse, build_release, stage_build, run_print },
	{ "package", STAGE_PIPELINE | STAGE_PATH_ARGS,
	  "pack an install tree into deterministic tarballs",
	  "TREE --slurm-version VERSION [--module-dir DIR] [options]",
	  "Packs TREE (an installed Slurm prefix) as software/ into\n"
	  "slurm-<version>-software.tar.gz, and the modulefiles of --module-dir\n"
	  "into slurm-<version>-module.tar.gz: sorted entries, one mtime\n"
	  "(SOURCE_DATE_EPOCH), uid/gid 0, no user or host names, so the same\n"
	  "tree gives the same bytes. Writes SHA256SUMS and manifest.json into\n"
	  "--output-dir (default .). In a pipeline it packs what build made into\n"
	  "the build cache, or reuses the cached artifacts.",
	  package_opts, 1, 1, NULL, NULL,
	  package_parse, NULL, stage_package, package_print },
	{ "verify", STAGE_PIPELINE | STAGE_GATE | STAGE_PATH_ARGS,
	  "prove a tarball's tree works when unpacked anywhere",
	  "TARBALL... [options]  |  --tree DIR [options]",
	  "Extracts each TARBALL once in secure mode (tar.*, zip, a .deb's data\n"
	  "member or an .rpm's payload, told by content; one file given twice is\n"
	  "a usage error), moves the tree to N random prefixes by rename(), and\n"
	  "at each prefix checks every ELF file's RPATH/RUNPATH and resolves\n"
	  "every DT_NEEDED the way ld.so would.\n"
	  "Build-prefix strings left in files are graded by where they sit.\n"
	  "Nothing from the tarball is executed.",
	  verify_opts, 0, (size_t)-1, NULL, NULL,
	  verify_parse, verify_release, stage_verify, NULL },
	{ "smoke", STAGE_PIPELINE | STAGE_GATE | STAGE_PATH_ARGS | STAGE_NEEDS_SETUP,
	  "run the relocated package: Lmod module + a real cluster at random prefixes",
	  "SOFTWARE_TARBALL [MODULE_TARBALL] [--prefixes N] [--runtime-image ALIAS | "
	  "--backend host]",
	  "Extracts the tree once and moves it to N random prefixes by rename().\n"
	  "At each, in a fresh container of the runtime image (or, with the host\n"
	  "backend, a private mount and pid namespace): loads slurm/<version> with\n"
	  "Lmod in a clean environment and checks srun, squeue, sinfo, sbatch and\n"
	  "scontrol come from the prefix and report the version; starts munged,\n"
	  "slurmctld and slurmd from the tree on 127.0.0.1 only, runs srun,\n"
	  "squeue, sbatch --wait and scontrol, checks the listening sockets, stops\n"
	  "everything and checks nothing is left. Without MODULE_TARBALL the\n"
	  "modules are generated. A module in the reference tool's\n"
	  "${SLURM_INSTALL_PREFIX:-...} form must be caught at the first prefix.\n"
	  "A pass is recorded in <cache>/proofs: the same tarballs, script,\n"
	  "runtime image and options later report that proof and launch no\n"
	  "container (--reprove runs the cluster again).",
	  smoke_opts, 0, 2, NULL, NULL,
	  smoke_parse, smoke_release, stage_smoke, NULL },
	{ "publish", STAGE_PIPELINE | STAGE_PUBLISHES | STAGE_PATH_ARGS,
	  "upload artifacts to a directory, HTTP, S3, GitHub or GitLab",
	  "DIR --to URL [--to URL...] [options]",
	  "Uploads every file of DIR (artifacts first, then the manifest and the\n"
	  "reports, SHA256SUMS last) to each --to target: a directory or file://,\n"
	  "http(s):// (PUT), s3://BUCKET/PREFIX (SigV4; AWS_* variables),\n"
	  "github://OWNER/REPO@TAG (GITHUB_TOKEN), gitlab://PROJECT/PACKAGE@VERSION\n"
	  "(CI_JOB_TOKEN or GITLAB_TOKEN). Checks DIR/SHA256SUMS first, retries\n"
	  "5xx, 429 and timeouts with backoff, fails at once on other 4xx, and\n"
	  "confirms each upload's size or checksum. Credentials never appear in\n"
	  "output or reports. Within run, DIR is what package made.",
	  publish_opts, 0, 1, NULL, NULL,
	  publish_parse, NULL, stage_publish, NULL },
	{ "image", 0, "build or check an LXD image (build or runtime)",
	  "build [--kind build|runtime] [--release R] [--packages-file F]  |  "
	  "check ALIAS [--command CMD]",
	  "build: makes the build image (or with --kind runtime the smoke stage's\n"
	  "image) with debootstrap (minbase + the packages of the package list + a\n"
	  "minimal init), records the installed package versions (packages_sha256),\n"
	  "packs a unified tarball, keeps it as <cache>/images/<alias>.tar.gz and\n"
	  "imports it into LXD under an alias that carries a hash of its inputs;\n"
	  "an unchanged image is reused. Prints the alias. check: launches a\n"
	  "container from ALIAS, runs a command in it, deletes the container.",
	  image_opts, 1, 2, NULL, NULL,
	  NULL, NULL, stage_image, NULL },
	{ "gc", 0, "delete containers left behind by crashed runs",
	  "[--run-id ID] [--all] [--volumes]",
	  "Lists the LXD containers labelled user.slurm-factory.run and deletes\n"
	  "them, except those of a run still alive on this host (unless --all).\n"
	  "--volumes also deletes the build cache volumes (sf-cache-*, ccache and\n"
	  "the configure cache kept on the LXD server) that no container uses.",
	  gc_opts, 0, 0, NULL, NULL,
	  NULL, NULL, stage_gc, NULL },
	{ "keygen", 0, "make an Ed25519 key pair to sign releases with",
	  "--out PREFIX",
	  "Writes PREFIX.key (the private key, PKCS#8 PEM, mode 0600),\n"
	  "PREFIX.pub (the public key, PEM) and PREFIX.minisign.pub (the same key\n"
	  "as minisign reads it); prints their names and the minisign key. Never\n"
	  "replaces an existing file. Keep PREFIX.key in the CI's secrets.",
	  keygen_opts, 0, 0, NULL, NULL,
	  NULL, NULL, stage_keygen, NULL },
	{ "sign", STAGE_PATH_ARGS, "sign a release directory's SHA256SUMS",
	  "DIR [--key FILE]",
	  "Checks every line of DIR/SHA256SUMS against its file, then writes\n"
	  "DIR/SHA256SUMS.sig (the raw Ed25519 signature: openssl pkeyutl -verify\n"
	  "-pubin -inkey KEY.pub -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig)\n"
	  "and DIR/SHA256SUMS.minisig (minisign -V -p KEY.minisign.pub -m\n"
	  "SHA256SUMS). The key comes from --key FILE or, as PEM text, from\n"
	  "$SLURM_FACTORY_SIGNING_KEY; it never appears in any output. The same\n"
	  "key and files give the same bytes (SOURCE_DATE_EPOCH dates the\n"
	  "minisign comment). publish uploads the signatures after SHA256SUMS.",
	  sign_opts, 1, 1, NULL, NULL,
	  NULL, NULL, stage_sign, NULL },
	{ "verify-signature", STAGE_PATH_ARGS, "check a downloaded release's signature and checksums",
	  "DIR --pubkey FILE",
	  "Checks DIR/SHA256SUMS.sig and DIR/SHA256SUMS.minisig (each that is\n"
	  "there; one at least) against the public key, then every file\n"
	  "SHA256SUMS lists. Exit 1 when a signature does not verify, a file is\n"
	  "missing or differs.",
	  verify_signature_opts, 1, 1, NULL, NULL,
	  NULL, NULL, stage_verify_signature, NULL },
	{ "diff", STAGE_PATH_ARGS, "what changed between two builds, for a release review",
	  "OLD NEW [--allow CLASS] [--markdown FILE]",
	  "OLD and NEW are software tarballs (any format verify reads),\n"
	  "directories holding the trees, or release directories (what package\n"
	  "or publish leave: manifest.json and one slurm-*-software.tar.*; their\n"
	  "grafted libraries are compared too). Lists files added, removed and changed\n"
	  "(with size deltas); for every ELF file in both, SONAME, DT_NEEDED,\n"
	  "RPATH/RUNPATH and exported dynamic symbols added and removed; and the\n"
	  "glibc floor of each tree. Breaking changes fail (exit 1) unless --allow\n"
	  "names their class: removed-symbol (a library with a SONAME no longer\n"
	  "exports a symbol), soname-changed (a SONAME changed or its library is\n"
	  "gone), absolute-rpath (a new absolute RPATH/RUNPATH entry), glibc-floor\n"
	  "(the new tree needs a newer glibc). The rest is information.",
	  diff_opts, 2, 2, NULL, NULL,
	  diff_parse, NULL, stage_diff, NULL },
	{ "run", 0, "the whole pipeline, gated: what a CI step calls",
	  "[SPEC] [--until STAGE] [--skip STAGE] [--dry-run] [--to URL] [options]",
	  "Runs the pipeline stages in order (default version " SF_DEFAULT_SPEC ") with\n"
	  "the options of all of them, into one report. A stage that fails stops\n"
	  "the pipeline; the rest are reported skipped, naming the gate. publish\n"
	  "runs only when every gate (verify, smoke) ran and passed. Prints one\n"
	  "line per stage start and end; under GitHub Actions or GitLab CI also\n"
	  "groups, annotations, a step summary, outputs or a dotenv file.",
	  run_opts, 0, 1, "resolve", "publish",
	  run_parse, NULL, NULL, run_print },
	{ NULL, 0, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct stage *stage_find(const char *name)
{
	const struct stage *s;

	for (s = stages; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

void stage_range(const struct stage *s, const struct stage **first,
		 const struct stage **last)
{
	*first = s->first ? stage_find(s->first) : s;
	*last = s->last ? stage_find(s->last) : s;
}

static void add_opts(struct opt **all, size_t *nr, size_t *alloc, const struct opt *opts)
{
	const struct opt *o;
	size_t i;

	for (o = opts; o && o->name; o++) {
		if (o->kind & OPTF_ALONE)
			continue;
		for (i = 0; i < *nr && strcmp((*all)[i].name, o->name); i++)
			;
		if (i < *nr)
			continue;
		xgrow((void **)all, alloc, *nr + 2, sizeof(**all));
		(*all)[(*nr)++] = *o;
		memset(&(*all)[*nr], 0, sizeof(**all));
	}
}

const struct opt *stage_options(const struct stage *s, struct opt **owned)
{
	const struct stage *first, *last, *p;
	struct opt *all = NULL;
	size_t nr = 0, alloc = 0;

	int needs_setup = 0;

	*owned = NULL;
	stage_range(s, &first, &last);
	for (p = first; p <= last && p->name; p++)
		needs_setup |= (p->flags & STAGE_NEEDS_SETUP) != 0;
	if (first == last && !needs_setup)
		return s->opts;
	/* its own options, a setup stage's it walks first, each walked stage's */
	xgrow((void **)&all, &alloc, 1, sizeof(*all));
	memset(all, 0, sizeof(*all));
	add_opts(&all, &nr, &alloc, s->opts);
	for (p = stages; p < first && needs_setup; p++)
		if (p->flags & STAGE_SETUP)
			add_opts(&all, &nr, &alloc, p->opts);
	for (p = first; p <= last && p->name; p++)
		if (p != s)
			add_opts(&all, &nr, &alloc, p->opts);
	*owned = all;
	return all;
}
