"""The application around the answer engine: answering for every client (pipelines per backend,
warm-up, the fallback while a model loads, one limit on answers at once), saved chats and
ratings, the library of indexed documents, chat transcripts and the command line's shared
options. The engine (`rag.pipeline`, `rag.backends`, ...) never imports this package, and it
imports no client (`ui`, `eval`)."""
