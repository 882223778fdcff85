verify ../../../../etc/passwd --no-timings
