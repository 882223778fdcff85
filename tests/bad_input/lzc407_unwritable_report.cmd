ci xen-nesting-counter --junit no-such-dir/report.xml
