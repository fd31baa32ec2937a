"""Worker process mode: the HTTP process ACKs, a supervised child runs the workers and sends."""
