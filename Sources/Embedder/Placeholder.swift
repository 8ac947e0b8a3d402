enum EmbedderPlaceholder {}
