"""Reserved for recording forwarded media without transcoding and for the program feed encoded once
for HLS and RTMP (issue 11); nothing lives here yet."""
