"""Link previews: a page's title, description, site name and image, fetched by the server (SPEC v3)."""
