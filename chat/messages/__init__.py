"""Messages: sending with a per-chat Seq, history pages, read state, edit and delete."""
