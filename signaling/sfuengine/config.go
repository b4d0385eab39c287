package sfuengine

import (
	"fmt"
	"net"

	"github.com/livesell/livesell/internal/config"
	"github.com/livesell/livesell/sfu"
)

// Config builds the engine's networking and capacity settings from the
// media configuration: ICE interfaces (LIVESELL_ICE_INTERFACES=lo keeps ICE
// on loopback), 1:1 NAT IPs, a single UDP mux port or a port range,
// ICE-TCP and the session caps. The caller adds Logger, Metrics and
// OnRoomLive.
func Config(m config.MediaConfig) (sfu.Config, error) {
	for _, p := range []struct {
		name string
		v    int
	}{{"udp-port", m.UDPMuxPort}, {"udp-port-min", m.UDPPortMin}, {"udp-port-max", m.UDPPortMax}, {"ice-tcp-port", m.ICETCPPort}} {
		if p.v < 0 || p.v > 65535 {
			return sfu.Config{}, fmt.Errorf("sfuengine: %s %d is not a port", p.name, p.v)
		}
	}
	if m.UDPPortMin > m.UDPPortMax {
		return sfu.Config{}, fmt.Errorf("sfuengine: udp-port-min %d is above udp-port-max %d", m.UDPPortMin, m.UDPPortMax)
	}
	for _, ip := range m.NAT1To1IPs {
		if net.ParseIP(ip) == nil {
			return sfu.Config{}, fmt.Errorf("sfuengine: nat-1to1-ips: %q is not an IP address", ip)
		}
	}
	if m.MaxPublishers < 0 || m.MaxViewers < 0 {
		return sfu.Config{}, fmt.Errorf("sfuengine: max-publishers and max-viewers may not be negative")
	}
	return sfu.Config{
		ICEInterfaces: append([]string(nil), m.ICEInterfaces...),
		NAT1To1IPs:    append([]string(nil), m.NAT1To1IPs...),
		UDPMuxPort:    m.UDPMuxPort,
		UDPPortMin:    uint16(m.UDPPortMin),
		UDPPortMax:    uint16(m.UDPPortMax),
		ICETCPPort:    m.ICETCPPort,
		MaxPublishers: m.MaxPublishers,
		MaxViewers:    m.MaxViewers,
	}, nil
}
