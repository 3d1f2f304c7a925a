"""The knowledge base's tables: FAQs and their revisions, the review queue, answer feedback."""
