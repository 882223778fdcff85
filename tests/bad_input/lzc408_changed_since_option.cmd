ci --changed-since=--output=/tmp/x
