/* tracer/select.c: -e expressions, as strace reads them.
 *
 *   [trace=|t=][!]ITEM[,ITEM...]   ITEM: a name, ?name (no error if unknown),
 *                                  /regex, %class, all, none
 *
 * One expression replaces the selection: "trace=open,read" selects exactly
 * those, "trace=!write" everything but write. The classes are the table's
 * (arch/syscalls.def), so %file here is the same set the filter and the
 * router see. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracer/trace.h"

static const struct {
	const char *name;
	uint32_t classes;
} class_names[] = {
	{ "file", SC_FILE }, { "desc", SC_DESC }, { "process", SC_PROCESS },
	{ "network", SC_NETWORK }, { "net", SC_NETWORK }, { "memory", SC_MEMORY },
	{ "signal", SC_SIGNAL }, { "ipc", SC_IPC }, { "%stat", SC_STAT },
	{ "creds", SC_CREDS }, { "clock", SC_CLOCK },
};

/* strace's narrower stat classes are lists of names. */
static const struct {
	const char *name;
	const char *const *calls;
} class_lists[] = {
	{ "stat", (const char *const[]){ "stat", "stat64", "oldstat", NULL } },
	{ "lstat", (const char *const[]){ "lstat", "lstat64", "oldlstat", NULL } },
	{ "fstat", (const char *const[]){ "fstat", "fstat64", "oldfstat", "newfstatat",
					 "fstatat64", "statx", NULL } },
	{ "statfs", (const char *const[]){ "statfs", "statfs64", NULL } },
	{ "fstatfs", (const char *const[]){ "fstatfs", "fstatfs64", NULL } },
	{ "%statfs", (const char *const[]){ "statfs", "statfs64", "fstatfs", "fstatfs64",
					   "ustat", NULL } },
	{ "pure", (const char *const[]){ "getpid", "getppid", "gettid", "getuid", "geteuid",
					 "getgid", "getegid", "getpgrp", "getuid32",
					 "geteuid32", "getgid32", "getegid32", NULL } },
};

static void mark_name(bool *set, const char *name)
{
	long nr = syscall_nr(name);
	if (nr >= 0)
		set[nr] = true;
}

/* Adds ITEM to SET. Returns 0, or -1 with ERR filled. */
static int add_item(const char *item, bool *set, long max, char *err, size_t errlen)
{
	if (strcmp(item, "all") == 0) {
		for (long nr = 0; nr <= max; nr++)
			set[nr] = true;
		return 0;
	}
	if (strcmp(item, "none") == 0)
		return 0;
	static const char *const legacy_classes[] = {
		"file", "desc", "process", "network", "memory", "signal", "ipc",
	};
	bool is_class = item[0] == '%';
	for (size_t i = 0; !is_class && i < sizeof legacy_classes / sizeof legacy_classes[0]; i++)
		is_class = strcmp(item, legacy_classes[i]) == 0;
	if (is_class) {
		const char *cls = item[0] == '%' ? item + 1 : item;
		for (size_t i = 0; i < sizeof class_names / sizeof class_names[0]; i++) {
			if (strcmp(cls, class_names[i].name) != 0)
				continue;
			for (long nr = 0; nr <= max; nr++) {
				const struct syscall_desc *d = syscall_by_nr(nr);
				if (d && (d->classes & class_names[i].classes))
					set[nr] = true;
			}
			return 0;
		}
		for (size_t i = 0; i < sizeof class_lists / sizeof class_lists[0]; i++) {
			if (strcmp(cls, class_lists[i].name) != 0)
				continue;
			for (const char *const *c = class_lists[i].calls; *c; c++)
				mark_name(set, *c);
			return 0;
		}
		snprintf(err, errlen, "invalid system call '%s'", item);
		return -1;
	}
	if (item[0] == '/') {
		regex_t re;
		int rc = regcomp(&re, item + 1, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];
			regerror(rc, &re, msg, sizeof msg);
			snprintf(err, errlen, "invalid system call '%s': %s", item, msg);
			return -1;
		}
		for (long nr = 0; nr <= max; nr++) {
			const struct syscall_desc *d = syscall_by_nr(nr);
			if (d && d->name && regexec(&re, d->name, 0, NULL, 0) == 0)
				set[nr] = true;
		}
		regfree(&re);
		return 0;
	}
	bool optional = item[0] == '?';
	const char *name = optional ? item + 1 : item;
	long nr = syscall_nr(name);
	if (nr < 0) {
		if (optional)
			return 0;
		snprintf(err, errlen, "invalid system call '%s'", name);
		return -1;
	}
	set[nr] = true;
	return 0;
}

int trace_select_parse(const char *expr, bool *selected, char *err, size_t errlen)
{
	static const char *const other_qualifiers[] = {
		"abbrev=", "a=", "verbose=", "v=", "raw=", "x=", "signal=", "signals=",
		"s=", "read=", "reads=", "r=", "write=", "writes=", "w=", "fault=",
		"inject=", "status=", "quiet=", "silent=", "silence=", "q=", "decode-fds=",
		"decode-pids=", "kvm=", "trace-fds=", "trace-fd=", "fd=", "fds=",
	};
	if (!expr || !*expr) {
		snprintf(err, errlen, "empty -e expression");
		return -1;
	}
	if (strncmp(expr, "trace=", 6) == 0)
		expr += 6;
	else if (strncmp(expr, "t=", 2) == 0)
		expr += 2;
	else
		for (size_t i = 0; i < sizeof other_qualifiers / sizeof other_qualifiers[0]; i++)
			if (strncmp(expr, other_qualifiers[i], strlen(other_qualifiers[i])) == 0) {
				snprintf(err, errlen, "unsupported -e qualifier '%.*s'",
					 (int)strlen(other_qualifiers[i]) - 1, expr);
				return -1;
			}
	bool negate = false;
	while (*expr == '!') {
		negate = !negate;
		expr++;
	}
	if (!*expr) {
		snprintf(err, errlen, "empty system call list in -e expression");
		return -1;
	}
	long max = syscall_max_nr();
	bool *set = calloc((size_t)max + 1, sizeof *set);
	char *copy = strdup(expr);
	if (!set || !copy) {
		free(set);
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (!*item)
			continue;
		if ((rc = add_item(item, set, max, err, errlen)) != 0)
			break;
	}
	if (rc == 0)
		for (long nr = 0; nr <= max; nr++)
			selected[nr] = set[nr] != negate;
	free(set);
	free(copy);
	return rc;
}
