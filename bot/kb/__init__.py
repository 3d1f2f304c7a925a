"""The knowledge base outside the chat turn: the live index, file formats, checks, evaluation."""
