# cmake -DINPUT=FILE -DOUTPUT=FILE.inc -DNAME=k... -P embed_file.cmake: FILE's bytes as a
# `constexpr unsigned char NAME[]` (hex: long string literals draw -Woverlength-strings).
file(READ ${INPUT} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT}.tmp "// Generated from ${INPUT} by embed_file.cmake; do not edit.\n"
  "constexpr unsigned char ${NAME}[] = {\n${bytes}};\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
