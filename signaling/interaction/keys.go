package interaction

// Redis keys and NATS subjects of the interaction layer, all under the
// namespace.

func (h *Hub) subjDanmaku(room string) string { return h.ns + ".room." + room + ".chat.danmaku" }
func (h *Hub) subjLikes(room string) string   { return h.ns + ".room." + room + ".chat.likes" }
func (h *Hub) subjCtl(room string) string     { return h.ns + ".room." + room + ".chat.ctl" }
func (h *Hub) subjWords() string              { return h.ns + ".moderation.words" }

// chatStream keeps the recent danmaku of every room.
func (h *Hub) chatStream() string { return upper(h.ns) + "_CHAT" }

func (h *Hub) keyOnline(room string) string   { return h.ns + ":room:" + room + ":online" }
func (h *Hub) keyMeta(room string) string     { return h.ns + ":room:" + room + ":meta" }
func (h *Hub) keyStats(room string) string    { return h.ns + ":room:" + room + ":stats" }
func (h *Hub) keyTimeline(room string) string { return h.ns + ":room:" + room + ":timeline" }
func (h *Hub) keyTimelineLock(room string) string {
	return h.ns + ":room:" + room + ":timeline:lock"
}
func (h *Hub) keyMute(room, user string) string { return h.ns + ":room:" + room + ":mute:" + user }
func (h *Hub) keyBan(room, user string) string  { return h.ns + ":room:" + room + ":ban:" + user }
func (h *Hub) keyWords() string                 { return h.ns + ":moderation:words" }

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
