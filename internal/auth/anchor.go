package auth

// Anchor is the one identity of a room's anchor — whoever holds one of its
// push keys — on every transport (WHIP data channel, WebSocket, REST).
func Anchor(room string) Identity {
	return Identity{UserID: "anchor:" + room, Name: "anchor", Rooms: []string{room}}
}
