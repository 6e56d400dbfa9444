# nms_default_cuda_archs(OUT): the compute capabilities of the GPUs that
# nvidia-smi lists ("9.0" -> 90-real), or 80-virtual (PTX only) when it lists
# none. Compiling SASS for GPUs that are not there triples the build of the
# kernels and tests nothing more than the PTX does.
function(nms_default_cuda_archs out)
  find_program(NMS_NVIDIA_SMI nvidia-smi)
  set(archs)
  if(NMS_NVIDIA_SMI)
    execute_process(COMMAND ${NMS_NVIDIA_SMI} --query-gpu=compute_cap --format=csv,noheader
                    OUTPUT_VARIABLE caps RESULT_VARIABLE rc ERROR_QUIET TIMEOUT 20)
    if(rc EQUAL 0)
      string(REGEX MATCHALL "[0-9]+\\.[0-9]+" caps "${caps}")
      foreach(cap IN LISTS caps)
        string(REPLACE "." "" cap "${cap}")
        list(APPEND archs ${cap}-real)
      endforeach()
      list(REMOVE_DUPLICATES archs)
    endif()
  endif()
  if(archs)
    message(STATUS "nmsweep: CUDA architectures of this machine's GPUs: ${archs}")
  else()
    set(archs 80-virtual)
    message(STATUS "nmsweep: no GPU seen by nvidia-smi: CUDA compiled to PTX (compute 8.0) only; "
                   "set CMAKE_CUDA_ARCHITECTURES for the GPUs it will run on")
  endif()
  set(${out} ${archs} PARENT_SCOPE)
endfunction()
