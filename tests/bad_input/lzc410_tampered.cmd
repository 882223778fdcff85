replay tests/bad_input/lzc410_tampered.itf.json
