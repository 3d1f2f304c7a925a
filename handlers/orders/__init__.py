"""Order lookup in the chat: "where is my parcel?", the second factor, "my orders"."""
