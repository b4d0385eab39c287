// Package procstat reads a process's CPU time from /proc, for the load
// tools that report the server's CPU cost.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is Linux's USER_HZ: /proc reports CPU time in 10 ms ticks.
const userHZ = 100

// CPU returns the user plus system CPU time process pid has used.
func CPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("procstat: no such pid %d", pid)
	}
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("procstat: %w", err)
	}
	return parseStat(raw)
}

// parseStat reads utime and stime from the text of /proc/<pid>/stat.
func parseStat(raw []byte) (time.Duration, error) {
	// The fields after the command name, which is in parentheses and may
	// itself hold spaces or parentheses.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, errors.New("procstat: malformed stat")
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("procstat: short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil || ut < 0 || st < 0 {
		return 0, errors.New("procstat: bad CPU times in stat")
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}
