package sfu

import (
	"runtime"
	"sync"
	"time"

	"github.com/pion/rtp"
)

// Fan-out sharding: a reader hands each packet to all subscribers. Past
// shardMin subscribers per shard, the list is split between the reader and
// worker goroutines so that the last viewer does not wait for hundreds of
// sequential SRTP writes.
const (
	shardMin  = 48
	maxShards = 4
)

// fanJob is one shard of one packet's fan-out.
type fanJob struct {
	subs  []*subscriber
	layer *layer       // video packet, or
	audio *audioSource // audio packet
	p     *rtp.Packet
	info  *pktInfo
	now   int64 // when the packet was read
	bytes int
	pkts  int
	lat   latencyCounts // read -> written, per subscriber sent to
}

func (j *fanJob) run() {
	j.bytes, j.pkts = 0, 0
	j.lat = latencyCounts{}
	pending := 0 // subscribers sent to since the clock was last read
	for _, s := range j.subs {
		var n, k int
		if j.layer != nil {
			if s.video != nil {
				n, k = s.video.forward(j.layer, j.p, j.info, j.now)
			}
		} else if s.audio != nil {
			if n = s.audio.forward(j.audio, j.p, j.now); n > 0 {
				k = 1
			}
		}
		if k > 0 {
			j.bytes += n
			j.pkts += k
			if pending++; pending == latencyStride {
				j.lat.add(time.Now().UnixNano()-j.now, pending)
				pending = 0
			}
		}
	}
	if pending > 0 {
		j.lat.add(time.Now().UnixNano()-j.now, pending)
	}
}

// fanout is owned by one reader goroutine; its workers live until close.
type fanout struct {
	lat     *latencyHistogram // nil: not recorded
	nworker int
	jobs    chan *fanJob
	shards  sync.WaitGroup // the current packet's shards on workers
	workers sync.WaitGroup
	buf     [maxShards]fanJob
}

func newFanout(lat *latencyHistogram) *fanout {
	f := &fanout{lat: lat}
	n := min(runtime.GOMAXPROCS(0), maxShards) - 1
	if n <= 0 {
		return f
	}
	f.nworker = n
	f.jobs = make(chan *fanJob, n)
	f.workers.Add(n)
	for range n {
		go func() {
			defer f.workers.Done()
			for j := range f.jobs {
				j.run()
				f.shards.Done()
			}
		}()
	}
	return f
}

// close stops the workers.
func (f *fanout) close() {
	if f.jobs != nil {
		close(f.jobs)
		f.workers.Wait()
	}
}

// run forwards one packet to subs; job carries the packet. It returns the
// bytes and packets sent. It does not allocate.
func (f *fanout) run(subs []*subscriber, job fanJob) (bytes, pkts int) {
	shards := 1
	if f.jobs != nil {
		shards = max(min(len(subs)/shardMin, f.nworker+1), 1)
	}
	per := (len(subs) + shards - 1) / shards
	for i := 1; i < shards; i++ {
		lo := min(i*per, len(subs))
		j := &f.buf[i]
		*j = job
		j.subs = subs[lo:min(lo+per, len(subs))]
		f.shards.Add(1)
		f.jobs <- j
	}
	j0 := &f.buf[0]
	*j0 = job
	j0.subs = subs[:min(per, len(subs))]
	j0.run()
	if shards > 1 {
		f.shards.Wait()
	}
	for i := range shards {
		bytes += f.buf[i].bytes
		pkts += f.buf[i].pkts
		f.lat.merge(&f.buf[i].lat)
	}
	return bytes, pkts
}
