// The cluster preload is being written.
