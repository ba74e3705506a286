"""The operator's controllers: event handlers only enqueue keys; one `sync` per
object kind gathers inputs, calls the pure core, applies actions, writes status."""
