package record

import (
	"bytes"
	"fmt"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// Track numbers in every recording.
const (
	videoTrack = 1
	audioTrack = 2
)

// Tracks describes a recording's tracks: what its header declares.
type Tracks struct {
	Video       string `json:"video"`           // "VP8", "VP9", "H264"
	Audio       string `json:"audio,omitempty"` // "opus", or "" without audio
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	CodecConfig []byte `json:"codec_config,omitempty"` // H.264 avcC
}

// DocType is the container's EBML document type: "webm" for VP8/VP9/Opus,
// "matroska" when the video is H.264 (WebM admits no H.264; Chromium plays
// H.264 in Matroska).
func (t Tracks) DocType() string {
	if t.Video == "H264" {
		return "matroska"
	}
	return "webm"
}

// MIME is the media type the recording is served with.
func (t Tracks) MIME() string {
	if t.Video == "H264" {
		return "video/x-matroska"
	}
	return "video/webm"
}

// opusHead is the Opus identification header (RFC 7845 5.1) for 48 kHz
// stereo, the CodecPrivate of an Opus track.
var opusHead = []byte{'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0}

func (t Tracks) entries() ([]webm.TrackEntry, error) {
	v := webm.TrackEntry{Name: "video", TrackNumber: videoTrack, TrackUID: videoTrack, TrackType: 1,
		Video: &webm.Video{PixelWidth: uint64(max(t.Width, 1)), PixelHeight: uint64(max(t.Height, 1))}}
	switch t.Video {
	case "VP8":
		v.CodecID = "V_VP8"
	case "VP9":
		v.CodecID = "V_VP9"
	case "H264":
		v.CodecID, v.CodecPrivate = "V_MPEG4/ISO/AVC", t.CodecConfig
	default:
		return nil, fmt.Errorf("record: video codec %q not recordable", t.Video)
	}
	out := []webm.TrackEntry{v}
	if t.Audio == "opus" {
		out = append(out, webm.TrackEntry{Name: "audio", TrackNumber: audioTrack, TrackUID: audioTrack, TrackType: 2,
			CodecID: "A_OPUS", CodecPrivate: opusHead, CodecDelay: 6500000, SeekPreRoll: 80000000,
			Audio: &webm.Audio{SamplingFrequency: 48000, Channels: 2}})
	}
	return out, nil
}

// Header returns the container's header: the EBML header and a Segment of
// unknown size holding Info and Tracks. Clusters (Segment.Data of every
// segment) follow it; duration, when above zero, is written into Info
// (milliseconds).
func Header(t Tracks, duration time.Duration, date time.Time) ([]byte, error) {
	entries, err := t.entries()
	if err != nil {
		return nil, err
	}
	type segment struct {
		Info   webm.Info   `ebml:"Info"`
		Tracks webm.Tracks `ebml:"Tracks"`
	}
	var doc struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment segment         `ebml:"Segment,size=unknown"`
	}
	doc.Header = *webm.DefaultEBMLHeader
	doc.Header.DocType = t.DocType()
	doc.Segment.Info = webm.Info{TimecodeScale: 1000000, MuxingApp: "livesell", WritingApp: "livesell",
		Duration: float64(duration.Milliseconds()), DateUTC: date}
	doc.Segment.Tracks.TrackEntry = entries
	var b bytes.Buffer
	if err := ebml.Marshal(&doc, &b); err != nil {
		return nil, fmt.Errorf("record: header: %w", err)
	}
	return b.Bytes(), nil
}

// frame is one depacketized frame with its presentation time.
type frame struct {
	track uint64
	pts   int64 // milliseconds since the recording started
	key   bool
	data  []byte
}

// maxClusterSpan keeps a block's timecode, relative to its cluster, inside
// the signed 16 bits Matroska gives it.
const maxClusterSpan = 30000

// clusters encodes frames (sorted by pts) as Matroska clusters: one per
// segment, more when the frames span more than maxClusterSpan (a pause).
func clusters(frames []frame) ([]byte, error) {
	var doc struct {
		Cluster []webm.Cluster `ebml:"Cluster"`
	}
	for _, f := range frames {
		n := len(doc.Cluster)
		if n == 0 || f.pts-int64(doc.Cluster[n-1].Timecode) > maxClusterSpan {
			doc.Cluster = append(doc.Cluster, webm.Cluster{Timecode: uint64(f.pts)})
			n++
		}
		c := &doc.Cluster[n-1]
		c.SimpleBlock = append(c.SimpleBlock, ebml.Block{TrackNumber: f.track, Timecode: int16(f.pts - int64(c.Timecode)),
			Keyframe: f.key || f.track == audioTrack, Data: [][]byte{f.data}})
	}
	var b bytes.Buffer
	if err := ebml.Marshal(&doc, &b); err != nil {
		return nil, fmt.Errorf("record: cluster: %w", err)
	}
	return b.Bytes(), nil
}

// Rebase rewrites the timecodes of encoded clusters (a segment's Data) so
// that the first starts at zero minus nothing: every cluster moves back by
// shift milliseconds. Used to cut clips that start at zero without
// re-encoding anything.
func Rebase(data []byte, shift int64) ([]byte, error) {
	var doc struct {
		Cluster []webm.Cluster `ebml:"Cluster"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(data), &doc); err != nil {
		return nil, fmt.Errorf("record: rebase: %w", err)
	}
	for i := range doc.Cluster {
		tc := int64(doc.Cluster[i].Timecode) - shift
		if tc < 0 {
			return nil, fmt.Errorf("record: rebase by %d ms before the start of a cluster at %d", shift, doc.Cluster[i].Timecode)
		}
		doc.Cluster[i].Timecode = uint64(tc)
	}
	var b bytes.Buffer
	if err := ebml.Marshal(&doc, &b); err != nil {
		return nil, fmt.Errorf("record: rebase: %w", err)
	}
	return b.Bytes(), nil
}
