# remote delivery worker
