/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * A stand-in for pppd in the link tests: opens the TUN device NAME (made
 * on the spot if it does not exist, like a ppp unit) and holds it open,
 * which gives the device carrier, until it is killed. Closing (the
 * "hang-up") takes the carrier away; a device it made goes away with it.
 *
 *   nd-dialer NAME
 *
 * Prints "dialed NAME" once the device is open.
 */
#include "config.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct ifreq ifr;
	int fd;

	if (argc != 2 || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: nd-dialer NAME (at most %d characters)\n", IFNAMSIZ - 1);
		return 2;
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("nd-dialer: /dev/net/tun");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("nd-dialer: TUNSETIFF");
		return 1;
	}
	printf("dialed %s\n", ifr.ifr_name);
	fflush(stdout);
	/* SIGTERM's default action ends the process; the kernel closes fd */
	for (;;)
		pause();
}
