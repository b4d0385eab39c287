package sfu

import (
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/webrtc/v4"
)

// Bandwidth estimation bounds for subscribers (bits per second).
const (
	bweInitial = 1_000_000
	bweMin     = 100_000
	bweMax     = 20_000_000
)

// udpSocketBuffer is the kernel buffer asked for each way on the shared
// UDP sockets: a 300-viewer fan-out of a keyframe is about 2 MB.
const udpSocketBuffer = 4 << 20

// transport holds the listeners shared by every PeerConnection of an Engine.
type transport struct {
	udpMux ice.UDPMux
	tcpMux ice.TCPMux
	tcpLn  net.Listener
}

func (t *transport) close() {
	if t.udpMux != nil {
		_ = t.udpMux.Close()
	}
	if t.tcpMux != nil {
		_ = t.tcpMux.Close()
	}
	if t.tcpLn != nil {
		_ = t.tcpLn.Close()
	}
}

// settingEngine builds the SettingEngine from cfg, opening the shared UDP
// mux and ICE-TCP listener it asks for.
func settingEngine(cfg Config) (webrtc.SettingEngine, *transport, error) {
	var se webrtc.SettingEngine
	tr := &transport{}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(5*time.Second, 10*time.Second, 2*time.Second)

	var ifFilter func(string) bool
	if len(cfg.ICEInterfaces) > 0 {
		names := slices.Clone(cfg.ICEInterfaces)
		ifFilter = func(name string) bool { return slices.Contains(names, name) }
		se.SetInterfaceFilter(ifFilter)
		se.SetIncludeLoopbackCandidate(true)
	}
	if len(cfg.NAT1To1IPs) > 0 {
		se.SetNAT1To1IPs(cfg.NAT1To1IPs, webrtc.ICECandidateTypeHost)
	}

	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if cfg.UDPMuxPort == 0 && (cfg.UDPPortMin > 0 || cfg.UDPPortMax > 0) {
		if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
			return se, nil, fmt.Errorf("sfu: udp port range: %w", err)
		}
	} else {
		// One socket per local address shared by every session (the OS
		// picks the port unless one is configured): one port to open in a
		// firewall, one reader, and about 7 % less CPU per forwarded
		// packet than a socket per PeerConnection (docs/benchmarks.md).
		opts := []ice.UDPMuxFromPortOption{
			ice.UDPMuxFromPortWithNetworks(ice.NetworkTypeUDP4, ice.NetworkTypeUDP6),
			ice.UDPMuxFromPortWithReadBufferSize(udpSocketBuffer),
			ice.UDPMuxFromPortWithWriteBufferSize(udpSocketBuffer),
		}
		if ifFilter != nil {
			opts = append(opts, ice.UDPMuxFromPortWithInterfaceFilter(ifFilter), ice.UDPMuxFromPortWithLoopback())
		}
		mux, err := ice.NewMultiUDPMuxFromPort(cfg.UDPMuxPort, opts...)
		if err != nil {
			return se, nil, fmt.Errorf("sfu: udp mux on port %d: %w", cfg.UDPMuxPort, err)
		}
		tr.udpMux = mux
		se.SetICEUDPMux(mux)
	}
	if cfg.ICETCPPort > 0 {
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{Port: cfg.ICETCPPort})
		if err != nil {
			tr.close()
			return se, nil, fmt.Errorf("sfu: ice-tcp listen on port %d: %w", cfg.ICETCPPort, err)
		}
		tr.tcpLn = ln
		tr.tcpMux = webrtc.NewICETCPMux(nil, ln, 64)
		se.SetICETCPMux(tr.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	se.SetNetworkTypes(networks)
	return se, tr, nil
}

// publisherAPI builds the API for publisher PeerConnections: NACK
// generation towards the publisher, receiver/sender reports and TWCC
// feedback so that the publisher's own congestion control works.
func publisherAPI(se webrtc.SettingEngine) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m, true); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, err
	}
	reg.Add(gen)
	if err := addReports(reg); err != nil {
		return nil, err
	}
	tw, err := twcc.NewSenderInterceptor()
	if err != nil {
		return nil, err
	}
	reg.Add(tw)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

// subscriberAPI builds the API for subscriber PeerConnections (viewers and
// edges): when onBWE is non-nil, a GCC send-side bandwidth estimator per
// PeerConnection (handed to onBWE while NewPeerConnection runs) fed by
// TWCC sequence numbers on outgoing packets; else no interceptor at all.
// Sender reports come from the engine (sr.go), not from Pion's report
// interceptors, which cost two ticker goroutines per connection and a lock
// and a clock read per packet; such a connection receives no media, so it
// has no receiver reports to send.
// Viewers pinned to a layer do without the estimator: it costs about a
// quarter of the per-packet CPU (TWCC extension, feedback parsing). NACKs
// are answered by the SFU itself from the layers' shared history
// (retransmit.go), not by Pion's responder, which copies every packet
// once per viewer.
func subscriberAPI(se webrtc.SettingEngine, onBWE func(cc.BandwidthEstimator)) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m, onBWE != nil); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	if onBWE != nil {
		if err := addBWE(reg, onBWE); err != nil {
			return nil, err
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}

func addBWE(reg *interceptor.Registry, onBWE func(cc.BandwidthEstimator)) error {
	ccf, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(bweInitial),
			gcc.SendSideBWEMinBitrate(bweMin),
			gcc.SendSideBWEMaxBitrate(bweMax),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
		)
	})
	if err != nil {
		return err
	}
	ccf.OnNewPeerConnection(func(_ string, est cc.BandwidthEstimator) { onBWE(est) })
	reg.Add(ccf)
	hdr, err := twcc.NewHeaderExtensionInterceptor()
	if err != nil {
		return err
	}
	reg.Add(hdr)
	return nil
}

func addReports(reg *interceptor.Registry) error {
	recv, err := report.NewReceiverInterceptor()
	if err != nil {
		return err
	}
	send, err := report.NewSenderInterceptor()
	if err != nil {
		return err
	}
	reg.Add(recv)
	reg.Add(send)
	return nil
}
