# bitflow_set_warnings(target): the warning set for bitflow's own code. Third-party
# headers come in as SYSTEM includes, so -Werror only judges what we wrote.
function(bitflow_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                         -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
                         -Wconversion -Wsign-conversion -Wimplicit-fallthrough)
  if(BITFLOW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
