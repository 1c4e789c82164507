package fakediscord

import "slices"

// pruneLocked forgets the oldest messages beyond Options.MaxMessages,
// with the files uploaded with them (their CDN URLs then answer 404, as
// Discord's do for deleted attachments). A long-running fake, such as the
// playground's, would otherwise keep every upload in memory.
func (s *Server) pruneLocked() {
	limit := s.opts.MaxMessages
	if limit <= 0 || len(s.messageOrder) <= limit {
		return
	}
	drop := s.messageOrder[:len(s.messageOrder)-limit]
	for _, id := range drop {
		sm, ok := s.messages[id]
		if !ok {
			continue
		}
		for _, fid := range sm.fileIDs {
			delete(s.files, fid)
		}
		delete(s.messages, id)
		ch := sm.msg.ChannelID
		s.channelMsgs[ch] = slices.DeleteFunc(s.channelMsgs[ch], func(m string) bool { return m == id })
		if len(s.channelMsgs[ch]) == 0 {
			delete(s.channelMsgs, ch)
		}
	}
	// A new array: the old one would keep every id ever seen reachable.
	s.messageOrder = slices.Clone(s.messageOrder[len(drop):])
}
