class __LlmCall__:  # this method joins the class when a stream manager is watched
    def watch(self, manager):
        """Wrap a `messages.stream(...)` manager: the stream it opens is unchanged; its usage is counted on exit."""
        return __WatchedStream__(self, manager)
