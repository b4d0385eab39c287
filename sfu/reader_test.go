package sfu

import (
	"io"
	"slices"
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// scriptedReader answers Read from a script of packets and errors.
type scriptedReader struct {
	steps []any // []byte or error
}

func (r *scriptedReader) Read(b []byte) (int, interceptor.Attributes, error) {
	if len(r.steps) == 0 {
		return 0, nil, io.EOF
	}
	step := r.steps[0]
	r.steps = r.steps[1:]
	if err, ok := step.(error); ok {
		return 0, nil, err
	}
	return copy(b, step.([]byte)), nil, nil
}

func rtpBytes(t *testing.T, seq uint16) []byte {
	t.Helper()
	b, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq}, Payload: []byte{1, 2, 3}}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadPacketsSkipsOversizedPackets(t *testing.T) {
	tests := []struct {
		name  string
		steps []any
		want  []uint16
	}{
		{"packets", []any{rtpBytes(t, 1), rtpBytes(t, 2)}, []uint16{1, 2}},
		{"oversized ones dropped", []any{io.ErrShortBuffer, rtpBytes(t, 1), io.ErrShortBuffer, io.ErrShortBuffer, rtpBytes(t, 2)}, []uint16{1, 2}},
		{"not RTP skipped", []any{[]byte{0xff}, rtpBytes(t, 7)}, []uint16{7}},
		{"another error ends the track", []any{rtpBytes(t, 1), io.ErrClosedPipe, rtpBytes(t, 2)}, []uint16{1}},
		{"endless oversized packets end the track", append(slices.Repeat([]any{io.ErrShortBuffer}, maxTooBig+1), rtpBytes(t, 9)), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint16
			readPackets(&scriptedReader{steps: tc.steps}, func(p *rtp.Packet, at int64) {
				if at == 0 {
					t.Error("packet without a read time")
				}
				got = append(got, p.SequenceNumber)
			})
			if !slices.Equal(got, tc.want) {
				t.Errorf("handled %v, want %v", got, tc.want)
			}
		})
	}
}
