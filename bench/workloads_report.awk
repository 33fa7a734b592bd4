#!/usr/bin/awk -f
# bench/workloads_report.awk: the tables of bench/workloads.sh, from its raw
# lines (bench/results/workloads.raw; run it again on that file alone):
#
#   PIN LINK CONFIG REP WORKLOAD STATUS SECONDS ROUND_TRIPS REMOTE_CALLS TURNS
#   REQUESTS WAIT_SECONDS
#
# A cell is the median of the runs that succeeded; a ratio is the quotient
# of two medians; round trips, remote calls, turns and the time splitrun
# waited for the shadow are medians too.
# Variables: delay (ms each way), backends (splitrun's, space-separated).

function median(list,    v, n, i, j, t) {
	n = split(list, v, " ")
	if (n == 0)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function add(key, value) {
	if (value != "-")
		list[key] = list[key] " " value
}
function cell(key) { return (key in list) ? median(list[key]) : "" }
function secs(x) { return x == "" ? "-" : sprintf(x < 1 ? "%.3f" : x < 100 ? "%.2f" : "%.1f", x) }
function ratio(a, b) { return (a == "" || b == "" || b == 0) ? "-" : sprintf("%.2f", a / b) }
function count(x) { return x == "" ? "-" : sprintf("%d", x) }
function ms(x) { return x == "" ? "-" : sprintf("%.3f", x * 1000) }

$6 == "ok" {
	key = $1 SUBSEP $2 SUBSEP $3 SUBSEP $5
	add(key SUBSEP "s", $7)
	add(key SUBSEP "rt", $8)
	add(key SUBSEP "remote", $9)
	add(key SUBSEP "turns", $10)
	add(key SUBSEP "wait", $12)
	runs[key]++
	if (!($1 in seen_pin)) { seen_pin[$1] = 1; pins[++npins] = $1 }
	if ($5 ~ /^call:/) {
		if (!($5 in seen_call)) { seen_call[$5] = 1; calls[++ncalls] = $5 }
	} else if ($5 != "ref" && !($5 in seen_wl)) {
		seen_wl[$5] = 1; wls[++nwls] = $5
	}
	if ($2 != "local" && !($2 in seen_link)) { seen_link[$2] = 1; links[++nlinks] = $2 }
}
$6 != "ok" { failed[$1 SUBSEP $2 SUBSEP $3 SUBSEP $5]++ }

END {
	label["cat"] = "cat 32 MB"; label["cp"] = "cp -r 1000x4KB"; label["sqlite"] = "sqlite 2000 ins"
	label["tar"] = "tar c 1000 files"; label["python"] = "python 200x16KB"; label["make"] = "make -j2 17 .c"
	linkname["loopback"] = "loopback"; linkname["wan"] = sprintf("%s ms RTT (delay_proxy)", 2 * delay)
	nb = split(backends, bk, " ")
	# A column per backend, as wide as its name (BACKEND:PLACEMENT).
	for (b = 1; b <= nb; b++)
		wd[b] = length("spl:" bk[b]) > 11 ? length("spl:" bk[b]) : 11
	for (p = 1; p <= npins; p++) {
		pin = pins[p]
		for (l = 1; l <= nlinks; l++) {
			link = links[l]
			printf "\n%s%s, %s: seconds (median of runs), ratios of medians, round trips\n", pin,
				pin == "pinned" ? " (taskset -c 0)" : "", linkname[link]
			printf "%-17s %8s", "workload", "native"
			for (b = 1; b <= nb; b++) printf " %*s", wd[b], "spl:" bk[b]
			printf " %8s", "sshfs"
			for (b = 1; b <= nb; b++) printf " | %6s %6s", "/sshfs", "/nat"
			for (b = 1; b <= nb; b++) printf " | %7s %8s %7s", "RT", "remote", "wait s"
			if (link == "wan") {
				for (b = 1; b <= nb; b++) printf " %7s", "turns"
				printf " %11s", "sshfs turns"
			}
			printf "\n"
			for (w = 1; w <= nwls; w++) {
				wl = wls[w]
				nat = cell(pin SUBSEP "local" SUBSEP "native" SUBSEP wl SUBSEP "s")
				ssh = cell(pin SUBSEP link SUBSEP "sshfs" SUBSEP wl SUBSEP "s")
				printf "%-17s %8s", label[wl], secs(nat)
				for (b = 1; b <= nb; b++) {
					k = pin SUBSEP link SUBSEP "splitrun:" bk[b] SUBSEP wl
					spl[b] = cell(k SUBSEP "s")
					printf " %*s", wd[b], secs(spl[b])
				}
				printf " %8s", secs(ssh)
				for (b = 1; b <= nb; b++) printf " | %6s %6s", ratio(spl[b], ssh), ratio(spl[b], nat)
				for (b = 1; b <= nb; b++) {
					k = pin SUBSEP link SUBSEP "splitrun:" bk[b] SUBSEP wl
					printf " | %7s %8s %7s", count(cell(k SUBSEP "rt")), count(cell(k SUBSEP "remote")),
						secs(cell(k SUBSEP "wait"))
				}
				if (link == "wan") {
					for (b = 1; b <= nb; b++)
						printf " %7s", count(cell(pin SUBSEP link SUBSEP "splitrun:" bk[b] SUBSEP wl SUBSEP "turns"))
					printf " %11s", count(cell(pin SUBSEP link SUBSEP "sshfs" SUBSEP wl SUBSEP "turns"))
				}
				printf "\n"
			}
			if (ncalls) {
				printf "per call (ms; bench/syscall_cost, the median tenth of 100 calls):\n"
				for (c = 1; c <= ncalls; c++) {
					wl = calls[c]
					nat = cell(pin SUBSEP "local" SUBSEP "native" SUBSEP wl SUBSEP "s")
					ssh = cell(pin SUBSEP link SUBSEP "sshfs" SUBSEP wl SUBSEP "s")
					printf "  %-15s native %s", substr(wl, 6), ms(nat)
					for (b = 1; b <= nb; b++) {
						x = cell(pin SUBSEP link SUBSEP "splitrun:" bk[b] SUBSEP wl SUBSEP "s")
						printf ", splitrun (%s) %s", bk[b], ms(x)
					}
					printf ", sshfs %s", ms(ssh)
					for (b = 1; b <= nb; b++) {
						x = cell(pin SUBSEP link SUBSEP "splitrun:" bk[b] SUBSEP wl SUBSEP "s")
						printf "; splitrun (%s) / sshfs %s", bk[b], ratio(x, ssh)
					}
					printf "\n"
				}
			}
			tcp = cell(pin SUBSEP link SUBSEP "tcp_copy" SUBSEP "ref" SUBSEP "s")
			sshcat = cell(pin SUBSEP link SUBSEP "ssh_cat" SUBSEP "ref" SUBSEP "s")
			sshtrue = cell(pin SUBSEP link SUBSEP "ssh_true" SUBSEP "ref" SUBSEP "s")
			printf "reference, 32 MB: plain TCP copy %s s; ssh host cat %s s (ssh host true: %s s)\n",
				secs(tcp), secs(sshcat), secs(sshtrue)
			for (b = 1; b <= nb; b++) {
				c = cell(pin SUBSEP link SUBSEP "splitrun:" bk[b] SUBSEP "cat" SUBSEP "s")
				if (c != "")
					printf "  cat under splitrun (%s) / TCP copy %s, / ssh host cat %s\n", bk[b],
						ratio(c, tcp), ratio(c, sshcat)
			}
		}
	}
	# The issue's targets, at the delayed link.
	if ("wan" in seen_link) {
		printf "\nTargets at %s ms RTT: cp -r >= 3x faster than sshfs and < 1.2 round trips a file; cat 32 MB <= 1.2x ssh host cat / TCP copy\n", 2 * delay
		for (p = 1; p <= npins; p++) {
			pin = pins[p]
			for (b = 1; b <= nb; b++) {
				k = pin SUBSEP "wan" SUBSEP "splitrun:" bk[b]
				cp = cell(k SUBSEP "cp" SUBSEP "s"); cprt = cell(k SUBSEP "cp" SUBSEP "rt")
				sshcp = cell(pin SUBSEP "wan" SUBSEP "sshfs" SUBSEP "cp" SUBSEP "s")
				c = cell(k SUBSEP "cat" SUBSEP "s")
				tcp = cell(pin SUBSEP "wan" SUBSEP "tcp_copy" SUBSEP "ref" SUBSEP "s")
				sshcat = cell(pin SUBSEP "wan" SUBSEP "ssh_cat" SUBSEP "ref" SUBSEP "s")
				printf "  %-8s %-8s cp -r: sshfs/splitrun %s (target >= 3), %s round trips a file (target < 1.2); " \
					"cat: splitrun / ssh cat %s, / TCP copy %s (target <= 1.2)\n", pin, bk[b],
					ratio(sshcp, cp), cprt == "" ? "-" : sprintf("%.2f", cprt / 1000), ratio(c, sshcat), ratio(c, tcp)
			}
		}
	}
	for (k in failed) {
		split(k, f, SUBSEP)
		printf "FAILED: %s %s %s %s: %d run(s) (not in the medians)\n", f[1], f[2], f[3], f[4], failed[k]
	}
}
