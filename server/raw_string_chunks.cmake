# pcs_raw_string_chunks(<out_var> <path> <delimiter>): the bytes of the file
# at <path> as C++ raw string literals R"<delimiter>(...)<delimiter>", one a
# line, each followed by a comma, of at most 30000 bytes each (ISO C++ only
# promises 65536-character literals). The embedding scripts
# (embed_openapi.cmake, console/embed_assets.cmake) put them in a
# null-terminated array and join them once.
function(pcs_raw_string_chunks out_var path delimiter)
  file(READ "${path}" content)
  string(LENGTH "${content}" length)
  set(chunks "")
  set(offset 0)
  while(offset LESS length)
    string(SUBSTRING "${content}" ${offset} 30000 piece)
    string(APPEND chunks "    R\"${delimiter}(${piece})${delimiter}\",\n")
    math(EXPR offset "${offset} + 30000")
  endwhile()
  set(${out_var} "${chunks}" PARENT_SCOPE)
endfunction()
