"""社区吧: a resident forum and 民情 case platform for Chinese residential communities."""
