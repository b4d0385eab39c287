package interaction

// keys names the Redis keys of the interaction layer, all under the
// namespace.
type keys struct{ ns string }

func (k keys) online(room string) string       { return k.ns + ":room:" + room + ":online" }
func (k keys) meta(room string) string         { return k.ns + ":room:" + room + ":meta" }
func (k keys) stats(room string) string        { return k.ns + ":room:" + room + ":stats" }
func (k keys) timeline(room string) string     { return k.ns + ":room:" + room + ":timeline" }
func (k keys) timelineLock(room string) string { return k.ns + ":room:" + room + ":timeline:lock" }
func (k keys) sanctionPrefix(room string) string {
	return k.ns + ":room:" + room + ":"
}
func (k keys) mute(room, user string) string { return k.sanctionPrefix(room) + "mute:" + user }
func (k keys) ban(room, user string) string  { return k.sanctionPrefix(room) + "ban:" + user }
func (k keys) words() string                 { return k.ns + ":moderation:words" }

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
