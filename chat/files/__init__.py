"""Attachments: uploads stored in MongoDB (GridFS), sent with messages, served to the chat's members."""
