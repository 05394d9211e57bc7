//! Pushbuffer builder (in the manner of Mesa nv_push), GPFIFO entries and the channel control area.
