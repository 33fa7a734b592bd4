/* tests/fuzz/replay.c: runs a fuzz harness over the files of its seed
 * corpus (tests/fuzz/NAME/, found beside the tree the binary was built
 * from, or given as arguments) without libFuzzer, so that the corpus,
 * and every crash the fuzzer once found (kept there), is a regression test
 * of the normal suite, with gcc and under ASan+UBSan. Prints TAP: one line
 * per file; a file that crashes the harness ends the run (not ok by the
 * plan left unfinished). */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
extern const char fuzz_name[];

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_file(const char *path, int k)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("not ok %d - %s: cannot open\n", k, path);
		return 1;
	}
	struct stat st;
	fstat(fileno(f), &st);
	size_t size = (size_t)st.st_size;
	uint8_t *buf = malloc(size ? size : 1);
	size_t got = fread(buf, 1, size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	const char *name = strrchr(path, '/');
	printf("ok %d - %s/%s replays: %zu bytes\n", k, fuzz_name, name ? name + 1 : path, got);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	char dir[PATH_MAX + 64], exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	/* build/VARIANT/tests/unit/fuzz_NAME -> the tree's tests/fuzz/NAME */
	snprintf(dir, sizeof dir, "%s/../../../../tests/fuzz/%s", dirname(exe), fuzz_name);
	char **names = NULL;
	size_t count = 0;
	if (argc > 1) {
		names = argv + 1;
		count = (size_t)argc - 1;
	} else {
		DIR *d = opendir(dir);
		if (!d) {
			printf("Bail out! no corpus directory %s\n", dir);
			return 1;
		}
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			names = realloc(names, (count + 1) * sizeof *names);
			names[count] = malloc(strlen(dir) + strlen(e->d_name) + 2);
			sprintf(names[count++], "%s/%s", dir, e->d_name);
		}
		closedir(d);
		qsort(names, count, sizeof *names, cmp);
	}
	printf("1..%zu\n", count);
	int bad = 0;
	for (size_t k = 0; k < count; k++)
		bad |= run_file(names[k], (int)k + 1);
	if (argc <= 1) {
		for (size_t k = 0; k < count; k++)
			free(names[k]);
		free(names);
	}
	return bad;
}
