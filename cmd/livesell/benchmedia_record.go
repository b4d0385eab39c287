package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The --record flag of "livesell bench media" (kept in this file, apart
// from the command's own): --record=on records the bench room while it is
// measured; --record=compare runs the measurement --record-rounds times
// with recording off and on alternately, in the same process against the
// same node, and reports both CPU costs per forwarded packet, their
// difference and the recording's disk rate. Both need --admin-token (and
// --server, or the in-process node started here).
func init() {
	plain := benchCommands["media"]
	benchCommands["media"] = func(ctx context.Context, args []string, out io.Writer) error {
		mode, rounds, rest, err := recordFlags(args)
		if err != nil || mode == "" {
			if err != nil {
				return err
			}
			return plain(ctx, rest, out)
		}
		return benchMediaRecorded(ctx, plain, mode, rounds, rest, out)
	}
}

// recordFlags takes --record[=on|compare] and --record-rounds=N out of args.
func recordFlags(args []string) (mode string, rounds int, rest []string, err error) {
	rounds = 3
	for i := 0; i < len(args); i++ {
		a := strings.TrimPrefix(args[i], "-")
		a = strings.TrimPrefix(a, "-")
		name, val, hasVal := strings.Cut(a, "=")
		switch name {
		case "record", "record-rounds":
			if !hasVal {
				if i+1 >= len(args) {
					return "", 0, nil, fmt.Errorf("bench media: --%s needs a value", name)
				}
				i++
				val = args[i]
			}
			if name == "record" {
				if val != "on" && val != "off" && val != "compare" {
					return "", 0, nil, errors.New("bench media: --record must be off, on or compare")
				}
				if val != "off" {
					mode = val
				}
			} else if rounds, err = strconv.Atoi(val); err != nil || rounds < 1 || rounds > 20 {
				return "", 0, nil, errors.New("bench media: --record-rounds must be 1..20")
			}
		default:
			rest = append(rest, args[i])
		}
	}
	return mode, rounds, rest, nil
}

// flagValue returns the value of --name in args ("" when absent).
func flagValue(args []string, name string) string {
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		if n, v, ok := strings.Cut(a, "="); ok && n == name {
			return v
		} else if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// cpuPerPacket reads the server's CPU per packet from the report's CPU
// line ("… µs per packet received [server pid N]"; older reports said
// "per forwarded packet").
var cpuPerPacket = regexp.MustCompile(`([0-9.]+) µs per (?:packet received|forwarded packet)`)

func benchMediaRecorded(ctx context.Context, plain func(context.Context, []string, io.Writer) error, mode string, rounds int, args []string, out io.Writer) error {
	server, admin := flagValue(args, "server"), flagValue(args, "admin-token")
	if server == "" {
		url, token, stop, err := localServer(ctx, nil)
		if err != nil {
			return err
		}
		defer stop()
		server, admin = url, token
		args = append(args, "--server", url)
	}
	if admin == "" {
		return errors.New("bench media: --record needs --admin-token (the tool makes its rooms)")
	}
	api := &recAPI{base: server, admin: admin, c: &http.Client{Timeout: 30 * time.Second}}
	plan := []bool{true}
	if mode == "compare" {
		plan = nil
		for range rounds {
			plan = append(plan, false, true)
		}
	}
	var off, on []float64
	var bytesPerSec []float64
	for i, rec := range plan {
		room, key, err := api.room(ctx, rec)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "--- round %d: recording %v (room %s)\n", i/2+1, onOff(rec), room)
		var buf bytes.Buffer
		if err := plain(ctx, append(slices.Clone(args), "--room", room, "--push-key", key), io.MultiWriter(out, &buf)); err != nil {
			return err
		}
		m := cpuPerPacket.FindStringSubmatch(buf.String())
		if m == nil {
			return errors.New("bench media: no CPU per forwarded packet in the report (give --server-pid with --server)")
		}
		us, _ := strconv.ParseFloat(m[1], 64)
		if !rec {
			off = append(off, us)
			continue
		}
		on = append(on, us)
		r, err := api.endAndRead(ctx, room)
		if err != nil {
			return err
		}
		rate := float64(r.Bytes) / (float64(r.DurationMs) / 1000)
		bytesPerSec = append(bytesPerSec, rate)
		fmt.Fprintf(out, "  recording: %d ms, %d bytes in %d segments: %.0f kB/s written (%.2f Mbit/s), %d bytes per segment on average\n",
			r.DurationMs, r.Bytes, len(r.Segments), rate/1000, rate*8/1e6, r.Bytes/int64(max(len(r.Segments), 1)))
	}
	if mode == "compare" {
		mo, mn := median(off), median(on)
		fmt.Fprintf(out, "=== recording off: %v µs per forwarded packet (median %.2f); on: %v (median %.2f): %+.1f %%; recording writes %.0f kB/s\n",
			off, mo, on, mn, (mn-mo)/mo*100, median(bytesPerSec)/1000)
	}
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

// recAPI is the few operator calls the recorded bench makes.
type recAPI struct {
	base, admin string
	c           *http.Client
}

func (a *recAPI) do(ctx context.Context, method, path, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.admin)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// room makes a bench room, recorded or not, and returns its id and push key.
func (a *recAPI) room(ctx context.Context, record bool) (string, string, error) {
	var r struct {
		ID      string `json:"id"`
		PushKey string `json:"push_key"`
	}
	if err := a.do(ctx, http.MethodPost, "/api/rooms", `{"title":"bench media"}`, &r); err != nil {
		return "", "", err
	}
	err := a.do(ctx, http.MethodPatch, "/api/rooms/"+r.ID, fmt.Sprintf(`{"record":%v}`, record), nil)
	return r.ID, r.PushKey, err
}

type benchRecording struct {
	State      string            `json:"state"`
	DurationMs int64             `json:"duration_ms"`
	Bytes      int64             `json:"bytes"`
	Segments   []json.RawMessage `json:"segments"`
}

// endAndRead ends room and waits for its recording to be complete.
func (a *recAPI) endAndRead(ctx context.Context, room string) (benchRecording, error) {
	if err := a.do(ctx, http.MethodPost, "/api/rooms/"+room+"/end", "", nil); err != nil {
		return benchRecording{}, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var list struct {
			Recordings []benchRecording `json:"recordings"`
		}
		if err := a.do(ctx, http.MethodGet, "/api/rooms/"+room+"/recordings", "", &list); err != nil {
			return benchRecording{}, err
		}
		if len(list.Recordings) > 0 && list.Recordings[0].State == "complete" {
			return list.Recordings[0], nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return benchRecording{}, fmt.Errorf("bench media: the recording of %s did not complete", room)
}
