"""Label Studio: server helper, label config, push, pull and import of exports made elsewhere."""
