# deliver
