# Installs the dashboard's built front end (web/dist) next to the binary (share/aurum/web), where
# the server looks first. Run with -DSRC=... -DDST=...; without a build there is nothing to copy
# (the server then shows a page saying the front end is not built).
if(EXISTS "${SRC}/index.html")
  file(REMOVE_RECURSE "${DST}")
  file(COPY "${SRC}/" DESTINATION "${DST}")
endif()
