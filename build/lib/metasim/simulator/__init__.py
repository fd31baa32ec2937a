"""metasim's Meta side of the wire: payload catalogue, signing, delivery and the fake Graph API."""
