"""People in control: who blocked whom (SPEC v2 "People: block and mute")."""
