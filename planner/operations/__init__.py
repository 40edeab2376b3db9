"""Operations: the things users do, as functions taking a session; they flush, edges commit."""
