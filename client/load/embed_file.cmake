# cmake -DIN=file -DOUT=file.inc -DNAME=kName -P embed_file.cmake
# Writes IN's text into OUT as a C++ raw string constant NAME.
file(READ "${IN}" content)
file(WRITE "${OUT}"
  "// Generated from ${IN} by embed_file.cmake; do not edit.\n"
  "inline constexpr char ${NAME}[] = R\"tt_embed(${content})tt_embed\";\n")
