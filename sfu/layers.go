package sfu

import (
	"slices"
	"strings"
)

// ridTables are the rid naming schemes in use, lowest quality first.
// Browsers' WHIP clients mostly use q/h/f (quarter, half, full).
var ridTables = [][]string{
	{"q", "h", "f"},
	{"l", "m", "h"},
	{"low", "mid", "high"},
	{"low", "medium", "high"},
	{"lo", "mid", "hi"},
	{"0", "1", "2"},
}

// genericRank maps the names a viewer may ask for to a quality rank.
// A rid of the publisher takes precedence over these.
var genericRank = map[string]int{
	"q": 0, "l": 0, "low": 0, "lo": 0, "0": 0,
	"h": 1, "m": 1, "mid": 1, "medium": 1, "1": 1,
	"f": 2, "high": 2, "hi": 2, "2": 2,
}

// rankRIDs orders a publisher's rids by quality: by a known naming scheme
// when all rids belong to one, else in the order the offer lists them
// (browsers list the lowest first).
func rankRIDs(rids []string) map[string]int {
	ranks := make(map[string]int, len(rids))
	for _, t := range ridTables {
		ok := true
		for _, r := range rids {
			if !slices.Contains(t, strings.ToLower(r)) {
				ok = false
				break
			}
		}
		if ok {
			for _, r := range rids {
				ranks[r] = slices.Index(t, strings.ToLower(r))
			}
			return ranks
		}
	}
	for i, r := range rids {
		ranks[r] = i
	}
	return ranks
}

// validLayerName reports whether name can be resolved against layers.
func validLayerName(name string, layers []*layer) bool {
	if name == "" {
		return true
	}
	if _, ok := genericRank[strings.ToLower(name)]; ok {
		return true
	}
	for _, l := range layers {
		if l.rid == name {
			return true
		}
	}
	return false
}

// resolveLayer picks the layer a viewer asked for by name among layers
// (sorted by rank): an exact rid, else the best layer not above the generic
// rank, else the lowest. It returns nil for an empty layer set.
func resolveLayer(name string, layers []*layer) *layer {
	if len(layers) == 0 {
		return nil
	}
	for _, l := range layers {
		if l.rid == name {
			return l
		}
	}
	want, ok := genericRank[strings.ToLower(name)]
	if !ok {
		want = len(layers) - 1
	}
	best := layers[0]
	for _, l := range layers {
		if l.rank <= want {
			best = l
		}
	}
	return best
}

// audioHeadroom is the share of the estimate kept for audio and RTCP (bps).
const audioHeadroom = 64_000

// pickByBandwidth returns the best layer whose measured bitrate (plus 10%)
// fits in estimate bits per second; the lowest layer when none fits. A layer
// not measured yet fits only if it is the lowest.
func pickByBandwidth(layers []*layer, estimate int64) *layer {
	if len(layers) == 0 {
		return nil
	}
	best := layers[0]
	budget := estimate - audioHeadroom
	for _, l := range layers[1:] {
		r := l.bitrate()
		if r > 0 && r+r/10 <= budget {
			best = l
		}
	}
	return best
}
