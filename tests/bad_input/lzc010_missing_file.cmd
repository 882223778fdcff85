lint tests/bad_input/lzc010_no_such_file.lazy
